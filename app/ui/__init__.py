"""The desktop application (PySide6; the only package that may import it).

Layout of the package:
- ``main`` (entry point ``wenyang-gui``), ``main_window`` + ``window_flows`` + ``actions``;
- ``session`` (one open library: worker queue, undo stack, change signals), ``workers``
  (Picard-style: run on a pool, post results to the GUI thread), ``queries`` (what the window
  asks of the library; plain functions run on the worker);
- panels: ``grid_model``/``grid_view``/``thumbnails``, ``facet_panel``, ``collections_panel``,
  ``detail_pane`` (``preview``, ``tagging``, ``suggestions``), ``search_panel`` (+
  ``search_backend``, ``hits_model``, ``edit_picker``), ``training_dialog``, ``evaluation_view``,
  ``import_dialog``; ``commands`` (undoable edits);
- ``settings`` (QSettings), ``i18n`` + ``i18n_catalogue`` (JSON translations), ``compat``.
"""
