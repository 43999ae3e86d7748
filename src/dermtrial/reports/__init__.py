"""Study reports: figures (matplotlib), one HTML file with the figures embedded, and a PDF (WeasyPrint)."""
