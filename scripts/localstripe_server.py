#!/usr/bin/env python3
"""A fake Stripe API for the tests: localstripe, patched so async-stripe 1.0 can read its objects.

    localstripe_server.py [--port PORT]      (default 8420; 0 picks a free port)

Why the patches: localstripe (PyPI, pinned in requirements-test.txt) speaks an old Stripe API.
Its PaymentIntent JSON lacks fields that async-stripe 1.0's ``PaymentIntent`` requires
(``amount_capturable``, ``amount_received``, ``confirmation_method``, ``payment_method_types``),
so the Rust client fails to deserialize every answer. Two present fields also break it:
``latest_charge`` is always a whole (old-style) Charge where async-stripe expects the charge id
unless expanded, and ``last_payment_error`` has no ``type``. Events lack ``pending_webhooks``.
localstripe also refuses ``confirm`` with a ``payment_method`` (500 "Not implemented"), and its
``pm_card_visa_chargeDeclined`` / 4000000000000002 card only fails when attached to a customer,
never when charged. The export is patched at the PaymentIntent class, so every PaymentIntent
(create, retrieve, update, confirm, cancel, capture, list, and the copy inside events and
webhooks) gets the fields.

Serves on 127.0.0.1 only, keeps its data in memory (no /tmp/localstripe.pickle), prints
``localstripe ready on 127.0.0.1:PORT`` on stdout once listening, logs requests on stderr, and
stops cleanly on SIGTERM or SIGINT (exit 0). Any ``sk_...`` key authenticates.
"""

import argparse
import asyncio
import logging
import signal
import sys

from localstripe import resources as r
from localstripe.errors import UserError

PI = r.PaymentIntent

# Cards that real Stripe declines when charged (generic decline, insufficient funds, lost,
# stolen, expired, incorrect CVC, processing error); localstripe only declines them on attach.
DECLINED_CARDS = {
    '4000000000000002', '4000000000009995', '4000000000009987', '4000000000009979',
    '4000000000000069', '4000000000000127', '4000000000000119',
}

# Stripe's test PaymentMethod ids that localstripe lacks, with the card each stands for.
EXTRA_TEST_PAYMENT_METHODS = {
    'pm_card_chargeDeclined': '4000000000000002',
    'pm_card_chargeDeclinedInsufficientFunds': '4000000000009995',
    'pm_card_authenticationRequired': '4000002760003184',
}


def _no_disk(self):
    pass


def patch_store():
    """In memory only: tests run several servers, and must not share or reload a pickle."""
    r.Store.dump_to_disk = _no_disk
    r.Store.try_load_from_disk = _no_disk


def patch_payment_methods():
    orig_canonical = r.PaymentMethod._try_get_canonical_test_article.__func__
    orig_declined = r.PaymentMethod._charging_is_declined

    @classmethod
    def _try_get_canonical_test_article(cls, id):
        number = EXTRA_TEST_PAYMENT_METHODS.get(id)
        if number:
            return r.PaymentMethod(type='card', card=dict(
                number=number, exp_month='12', exp_year='2030', cvc='123'))
        return orig_canonical(cls, id)

    def _charging_is_declined(self):
        if self.type == 'card' and self._card_number in DECLINED_CARDS:
            return True
        return orig_declined(self)

    r.PaymentMethod._try_get_canonical_test_article = _try_get_canonical_test_article
    r.PaymentMethod._charging_is_declined = _charging_is_declined


def patch_payment_intents():
    orig_init = PI.__init__
    orig_export = PI._export
    orig_confirm = PI._api_confirm.__func__
    orig_report_failure = PI._report_failure

    def __init__(self, *args, payment_method_types=None, confirmation_method=None,
                 description=None, **kwargs):
        if isinstance(payment_method_types, str):  # payment_method_types=card (no [])
            payment_method_types = [payment_method_types]
        if isinstance(payment_method_types, dict):  # payment_method_types[0]=card
            payment_method_types = list(payment_method_types.values())
        if payment_method_types is not None and not (
                payment_method_types
                and all(isinstance(t, str) and t for t in payment_method_types)):
            raise UserError(400, 'Bad request')
        if confirmation_method not in (None, 'automatic', 'manual'):
            raise UserError(400, 'Bad request')
        if description is not None and not isinstance(description, str):
            raise UserError(400, 'Bad request')
        orig_init(self, *args, **kwargs)
        if self.payment_method:  # a test id like pm_card_visa: keep the PaymentMethod made
            self.payment_method = r.PaymentMethod._api_retrieve(self.payment_method).id
        self._payment_method_types = list(payment_method_types or ['card'])
        self._confirmation_method = confirmation_method or 'automatic'
        self.description = description

    def _export(self, expand=None):
        obj = orig_export(self, expand=expand)
        status = obj.get('status')
        obj['amount_received'] = self.amount if status == 'succeeded' else 0
        obj['amount_capturable'] = self.amount if status == 'requires_capture' else 0
        obj['confirmation_method'] = getattr(self, '_confirmation_method', 'automatic')
        obj['payment_method_types'] = list(getattr(self, '_payment_method_types', ['card']))
        obj.setdefault('description', None)
        # localstripe always embeds the whole charge; Stripe sends its id unless expanded.
        expanded = any(p == 'latest_charge' or p.startswith('latest_charge.')
                       for p in (expand or []))
        if self.latest_charge is not None and not expanded:
            obj['latest_charge'] = self.latest_charge.id
        error = obj.get('last_payment_error')
        if isinstance(error, dict):
            error = dict(error)
            if error.get('code') == 'card_declined':
                error.setdefault('type', 'card_error')
                error.setdefault('decline_code', 'generic_decline')
            else:
                error.setdefault('type', 'invalid_request_error')
            obj['last_payment_error'] = error
        return obj

    @classmethod
    def _api_confirm(cls, id, payment_method=None, **kwargs):
        if payment_method is None:
            return orig_confirm(cls, id, **kwargs)
        if kwargs:
            raise UserError(400, 'Unexpected ' + ', '.join(kwargs.keys()))
        if not (isinstance(id, str) and id.startswith('pi_')
                and isinstance(payment_method, str)
                and payment_method.startswith(('pm_', 'src_', 'card_'))):
            raise UserError(400, 'Bad request')
        obj = cls._api_retrieve(id)
        if obj.status not in ('requires_payment_method', 'requires_confirmation'):
            raise UserError(400, 'Bad request')
        pm = r.PaymentMethod._api_retrieve(payment_method)  # 404 when unknown
        obj.payment_method = pm.id
        if obj.latest_charge is not None and obj.latest_charge.status == 'failed':
            obj.latest_charge = None  # a new attempt, as Stripe allows after a decline
        obj._confirm(on_failure_now=obj._report_failure)
        return obj

    def _report_failure(self):
        # Stripe's 402 for a declined confirm is a card_error carrying the PaymentIntent.
        try:
            orig_report_failure(self)
        except UserError as e:
            e.body['error']['type'] = 'card_error'
            e.body['error'].setdefault('decline_code', 'generic_decline')
            e.body['error']['payment_intent'] = self._export()
            raise

    PI.__init__ = __init__
    PI._export = _export
    PI._api_confirm = _api_confirm
    PI._report_failure = _report_failure
    # The routes of localstripe.server are built from this list when it is imported.
    for i, (method, url, _func) in enumerate(r.extra_apis):
        if url == '/v1/payment_intents/{id}/confirm':
            r.extra_apis[i] = (method, url, PI._api_confirm)


def patch_events():
    orig_export = r.Event._export

    def _export(self, expand=None):
        obj = orig_export(self, expand=expand)
        obj.setdefault('pending_webhooks', 0)
        obj.setdefault('request', {'id': None, 'idempotency_key': None})
        return obj

    r.Event._export = _export


async def serve(port):
    from aiohttp import web
    from localstripe.server import app  # after the patches: it reads r.extra_apis

    logger = logging.getLogger('aiohttp.access')
    logger.setLevel(logging.INFO)
    logger.addHandler(logging.StreamHandler(sys.stderr))

    runner = web.AppRunner(app, access_log=logger)
    await runner.setup()
    site = web.TCPSite(runner, host='127.0.0.1', port=port)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    print(f'localstripe ready on 127.0.0.1:{port}', flush=True)
    await stop.wait()
    await runner.cleanup()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--port', type=int, default=8420)
    args = parser.parse_args()

    patch_store()
    patch_payment_methods()
    patch_payment_intents()
    patch_events()
    asyncio.run(serve(args.port))


if __name__ == '__main__':
    main()
