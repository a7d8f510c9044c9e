import os
import tempfile

# GUI tests draw offscreen; corpus caches go to a throw-away folder, not the user's cache.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("EMBEDSTUDIO_CACHE", tempfile.mkdtemp(prefix="embedstudio-test-cache-"))
