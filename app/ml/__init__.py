"""ml: the only package that imports torch — hashing networks, losses, training, ONNX export.

Public entry points (import the submodules; nothing heavy is imported here):
  app.ml.config   NetConfig, TrainConfig           small configs, JSON round-trip
  app.ml.nets     build_networks(cfg, mode)          LabNet, ImgNet, TxtNet, discriminators
  app.ml.data     TrainingData                       labels, texts, image features or loader, masks
  app.ml.train    train(data, config, progress, cancel, checkpoint_dir, resume) -> TrainResult
  app.ml.export   export_model(result, folder, ...) -> card dict (ONNX files + card.json)
  app.ml.prepare  resolve_device, default_image_size, default_stem, default_twin
"""
