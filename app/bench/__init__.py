"""Benchmark harnesses: public datasets trained through app.ml and scored with app.evaluate."""
