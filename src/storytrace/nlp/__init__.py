"""Language analysis: entities and the labels outlets give them, quotes and their speakers."""
