"""The Qt-free culling session the GUI renders: the photo list, filters, sorting, keys, loupe geometry."""
