"""Layer 3, the rules of a lesson, with no Jupyter: check kinds, sealing, code tests, conditions, paths, mastery, review.

Nothing is imported here: the student's kernel loads only the engine modules it uses
(``import lessonkit.player`` must stay light, tests/test_layers.py).
"""
