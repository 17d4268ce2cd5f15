"""No outbox in the admin: a mail row holds a patient's address and template variables
(patient data, which the admin role does not see: docs/security.md, "The admin and
patient data"). Reception handles failed mail on the call list; the follow-up overview
shows the queue."""
