"""Observatory Search indexer: catalog → fetch → extract → index, and the search shared by CLI and web."""
