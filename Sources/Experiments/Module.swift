// Experiments module: see DESIGN.md layering. Files are added per facet.
