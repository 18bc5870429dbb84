"""The leaf every package may import: domain errors and the injected clock. Imports nothing of
wijkdeel's own."""
