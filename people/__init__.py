"""Who is this person: personal accounts and their roles, sign-in by OpenID Connect or by local
password and TOTP, attempt limits, and server-side sessions. No web code: the console calls it
through its unit of work, the CLI directly."""
