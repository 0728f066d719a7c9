"""Dataset readers (one module per family) and the image datasets built from them.

Readers are torch-free and turn label files into :class:`~training.datasets.table.LabelTable`;
:mod:`training.datasets.images` adds images (skip-and-count) and
:mod:`training.datasets.splits` maps a family + split onto label files.
Nothing here downloads anything: every path is local.
"""
