"""The XSS payload corpus of shared/design/security.md, for every text that reaches a page."""

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "<svg/onload=alert(1)>",
    "javascript:alert(1)",
    "</textarea><script>alert(2)</script>",
    "{{7*7}}<b>bold</b>",
    "<iframe src=//evil.example></iframe>",
]
DANGEROUS_FRAGMENTS = ["<script>", "<img src=x", "<svg/onload", "<iframe", "<b>bold</b>"]
