"""Evaluation of the memory pipeline: the hand-labelled dev set (``devset``) and its scorer (``score``).

The dev set is for evaluation only; keep it apart from any training data (``devset.eval_persona_names``).
"""
