"""No follow-up in the admin: answers and outcomes are patient data, which the admin
role does not see (docs/security.md, "The admin and patient data")."""
