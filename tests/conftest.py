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
# Extraction workers start cold (about 2 s of CPU less each, many times over in the
# suite); the tests of the warm-up turn it on with Settings(extract_warm_up=True).
os.environ["CLARION_EXTRACT_WARM_UP"] = "false"

from tests._elasticsearch import es_config  # noqa: F401  (a session fixture for every test)
