"""Architecture tables of PDF pages: regions, rulings, words, the cell grid, its layout."""
