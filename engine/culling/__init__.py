"""The Qt-free culling session the GUI renders: the photo list, filters, sorting, the user actions and their keys, loupe geometry."""
