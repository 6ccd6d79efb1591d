"""The bulk panel's words, made from the contract's rules, read as a person expects."""

from frontend.bulk_actions import BULK_WORDING, BulkPanel
from job_contract import JobAction


def test_each_action_says_which_jobs_it_takes_and_that_the_rest_are_skipped() -> None:
    rules = {action: wording.rule for action, wording in BULK_WORDING.items()}

    assert rules == {
        JobAction.CANCEL: "Only pending jobs can be cancelled; the others are skipped.",
        JobAction.RETRY: "Failed and cancelled jobs go back to pending with their attempts"
        " reset; the others are skipped.",
        JobAction.DELETE: "Completed, failed and cancelled jobs are deleted for good, with"
        " their history; the others are skipped.",
    }


def test_the_question_and_the_outcome_name_the_action() -> None:
    retry = BulkPanel(JobAction.RETRY).wording

    assert retry is not None
    assert (retry.verb, retry.done) == ("Retry", "Sent back to pending")
    assert BulkPanel(None, problem="Unknown action.").wording is None


def test_only_deleting_cannot_be_undone() -> None:
    destructive = [action for action, wording in BULK_WORDING.items() if wording.destructive]

    assert destructive == [JobAction.DELETE]
