"""SEM's Chalice app: wiring only. Routes live in chalicelib/api, handlers in chalicelib/worker."""

from chalice.app import Chalice

from chalicelib.api import (
    admin_audit,
    admin_central,
    admin_email,
    admin_me,
    admin_officials,
    admin_payments,
    admin_privacy,
    admin_reference,
    admin_reminders,
    admin_reports,
    admin_representations,
    admin_rolls,
    admin_settings,
    admin_signatures,
    citizen,
    citizen_space,
    fleets,
    gateway,
    health,
    middleware,
    openapi,
    permits,
    privacy,
    public,
)
from chalicelib.api import receipts as receipt_routes
from chalicelib.api import refunds as refund_routes
from chalicelib.api import signatures as signature_routes
from chalicelib.snapstart import register_hooks
from chalicelib.worker import email_events, receipts, reference_imports, retention, schedules
from chalicelib.worker import reminders as reminder_worker
from chalicelib.worker import settlements as settlement_worker

app = Chalice(app_name="sem")
app.api.binary_types.append("application/pdf")  # signed documents posted to /v1/signatures/verify
app.api.binary_types.append("multipart/form-data")  # a PDF uploaded from the receipt verification page
app.register_middleware(middleware.request_context, "http")
app.register_blueprint(health.bp)
app.register_blueprint(public.bp)
app.register_blueprint(privacy.bp)
app.register_blueprint(citizen.bp)
app.register_blueprint(citizen_space.bp)
app.register_blueprint(fleets.bp)
app.register_blueprint(gateway.bp)
app.register_blueprint(admin_reference.bp)
app.register_blueprint(admin_me.bp)
app.register_blueprint(admin_payments.bp)
app.register_blueprint(admin_privacy.bp)
app.register_blueprint(admin_reminders.bp)
app.register_blueprint(admin_representations.bp)
app.register_blueprint(admin_rolls.bp)
app.register_blueprint(admin_settings.bp)
app.register_blueprint(admin_officials.bp)
app.register_blueprint(admin_audit.bp)
app.register_blueprint(admin_central.bp)
app.register_blueprint(admin_reports.bp)
app.register_blueprint(openapi.bp)
app.register_blueprint(receipt_routes.bp)
app.register_blueprint(permits.bp)
app.register_blueprint(admin_signatures.bp)
app.register_blueprint(signature_routes.bp)
app.register_blueprint(receipts.bp)
app.register_blueprint(schedules.bp)
app.register_blueprint(retention.bp)
app.register_blueprint(reference_imports.bp)
app.register_blueprint(settlement_worker.bp)
app.register_blueprint(email_events.bp)
app.register_blueprint(admin_email.bp)
app.register_blueprint(reminder_worker.bp)
app.register_blueprint(refund_routes.bp)
register_hooks()  # Lambda SnapStart: what is renewed after a restore (chalicelib/snapstart.py)
