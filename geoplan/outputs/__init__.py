"""Outputs of an audit: GIS layers (GeoPackage, Shapefile, GeoJSON), tables (CSV, XLSX), reports and maps."""
