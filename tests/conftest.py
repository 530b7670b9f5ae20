"""Shared test set-up: models load from local files only; no test reaches the internet."""

import os

# transformers and huggingface_hub read these themselves; Clarion also passes
# local_files_only unless CLARION_MODEL_DOWNLOADS is set.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Authentication off for the suite (Settings reads it): tests about access turn it on
# explicitly with Settings(auth="keys").
os.environ["CLARION_AUTH"] = "off"

from tests._elasticsearch import es_config  # noqa: F401  (a session fixture for every test)
