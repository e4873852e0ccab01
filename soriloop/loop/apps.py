from django.apps import AppConfig


class LoopConfig(AppConfig):
    name = "soriloop.loop"
    label = "loop"

    def ready(self) -> None:
        from soriloop.accounts.hooks import workspace_setup_register
        from soriloop.core.changes import consumer_register
        from soriloop.customers.hooks import customer_source_register
        from soriloop.feedback.mail import thread_resolver_register
        from soriloop.loop.customer_data import SOURCE
        from soriloop.loop.rules import RULE_EVENTS, case_rules_consume, case_rules_setup
        from soriloop.loop.threads import THREAD_EVENTS, case_threads_consume, workspace_of_thread

        workspace_setup_register(case_rules_setup)
        consumer_register(name="case-rules", types=RULE_EVENTS, handle=case_rules_consume)
        consumer_register(name="case-threads", types=THREAD_EVENTS, handle=case_threads_consume)
        thread_resolver_register(workspace_of_thread)
        customer_source_register(SOURCE)  # cases on the timeline, in the export; erased
