"""Errors that carry a message meant for the curator."""


class WenyangError(Exception):
    """Base class: ``str(err)`` is a complete, user-facing sentence."""


class LibraryError(WenyangError):
    """The library folder or database cannot be used."""


class LibraryVersionError(LibraryError):
    """The library was written by a newer version of Wenyang."""


class SchemeError(WenyangError):
    """A label-scheme operation is not allowed or names an unknown label."""


class StaleEdit(WenyangError):
    """An edit made from an item as it was before someone else changed it: refused, theirs kept."""


class NotFound(WenyangError):
    """An item, label, collection or model does not exist."""


class ModelMismatchError(WenyangError):
    """A trained model does not fit the library (label scheme or vocabulary differ)."""
