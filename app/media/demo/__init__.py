"""The demo collection's drawings: garments, motifs, bands, accessories, textures and the scene
they are photographed in, with their captions (procedural and deterministic from a seed)."""
