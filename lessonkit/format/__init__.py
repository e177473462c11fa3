"""Layer 2, lessons as files: reading a lesson notebook into the model, writing the notebooks built from it, the sealed blob.

Nothing is imported here: the student's kernel reads the blob without loading nbformat
(``import lessonkit.player`` must stay light, tests/test_layers.py).
"""
