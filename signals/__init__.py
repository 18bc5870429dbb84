"""Care signals: how a concern about a child travels, lawfully, from one partner to another."""
