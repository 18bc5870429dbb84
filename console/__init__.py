"""The console: HTML pages for the people who run wijkdeel (administrators, auditors and the
policymaker), a surface beside `api/` that calls the same domain code through the same unit of
work. Server-rendered Dutch pages, no script of its own, every asset served by wijkdeel."""
