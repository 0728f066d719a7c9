"""photocull's own files: where they live, the user's settings, and crash-safe writes."""
