"""Rasa's LogisticRegressionClassifier, with its weights laid out for one message at a time.

No longer in config.yml: bot/nlu/two_step_classifier.py replaced it. It stays so that models trained
before that change (the live model until it is retrained, the registry's for a rollback) still load.

scikit-learn scores a message as `features @ coef_.T`. With the features sparse, SciPy needs the
right-hand side in C order, and `coef_.T` of a C-ordered `coef_` is not, so every message copied
the whole weight matrix (48 intents x 27,000 features, ~10 MB): 3.7 ms of a reply. Keeping `coef_`
in Fortran order makes `coef_.T` C-ordered, so nothing is copied (0.05 ms), and the probabilities
are bit-for-bit the same.
"""
from __future__ import annotations

from typing import Any, Dict

import numpy as np
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class IntentClassifier(LogisticRegressionClassifier):
    """Trains and persists exactly as its parent; only the loaded weights change layout."""

    @classmethod
    def load(cls, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "IntentClassifier":
        component = super().load(config, model_storage, resource, execution_context, **kwargs)
        component.clf.coef_ = np.asfortranarray(component.clf.coef_)
        return component
