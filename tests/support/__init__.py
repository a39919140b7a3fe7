"""What tests share, so no test module imports another: clocks, a fake TGR gateway, in-memory
fakes of the repositories, queue and mailer (fakes.py), the app-on-moto worlds that make payments
through the real routes (payments_world.py, receipt_jobs.py, verification.py), signing in as an
official (officials.py), reading PDFs (pdfs.py), and the e2e helpers for the running stack (e2e/)."""
