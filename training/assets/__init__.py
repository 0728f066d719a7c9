"""Builders for the models the app ships in ``assets/models`` (run by ``python -m training build-assets``)."""
