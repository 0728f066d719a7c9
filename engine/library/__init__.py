"""The photo library: finding and decoding files, their metadata, thumbnails, the catalog and the scan."""
