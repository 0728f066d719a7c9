"""The photographer's decisions: recorded with undo, written to XMP sidecars, exported, trashed, proposed."""
