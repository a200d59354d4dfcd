"""Ticket types and their forms: the visual builder's model, versions, import and export."""
