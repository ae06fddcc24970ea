"""A lock for the imports that must not overlap the masked import of spaCy.

``nlp.pipeline`` imports spaCy with ``torch`` marked absent, so that thinc does not pull in
torch (4 s of CPU it never uses). ``compare`` loads spaCy in a second thread while the
main thread loads the sentence model; if the main thread imported torch, transformers or
sentence-transformers during that window they would find torch missing and remember it
(transformers caches the answer). Both sides take this lock, so the window is closed to
them; imports that never touch torch (ONNX Runtime, tokenizers) need not wait.
"""

from __future__ import annotations

import threading

TORCH_IMPORT_LOCK = threading.RLock()
