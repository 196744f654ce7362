"""Llama Stack's Connectors API (``/v1beta/connectors``) and tool listing (``/v1/tools``)."""
