"""The main window's controllers: each owns one concern and the widgets that show it.

:class:`~photocull.main_window.MainWindow` builds the views and composes these:
:mod:`commands` (menus, toolbar actions and keys from :mod:`engine.culling.actions`),
:mod:`background` (the scan/analysis process, progress, pause and cancel, models),
:mod:`library` (opening folders, loading and merging the photo list),
:mod:`filters` (sort, filter bar, bursts), :mod:`navigation` (grid, loupe, compare,
the current photo), :mod:`decisions` (keys, undo, auto-cull), :mod:`sidecars`,
:mod:`personalization` and :mod:`preferences` (the settings dialog).

Each controller lists the action handlers it implements in ``HANDLES``; the method of
that name is what the action calls.
"""
