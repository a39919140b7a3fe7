"""The breach signals of docs/incident-response.md exist in the template, watch the API's log
group for routes the app really has, and notify the operators' topic."""

from __future__ import annotations

import re

from infra.provision import load_template, local_template


def test_each_signal_is_a_filter_on_real_routes_with_an_alarm_to_the_topic():
    from app import app

    resources = load_template()["Resources"]
    filters = {n: r["Properties"] for n, r in resources.items() if r.get("Type") == "AWS::Logs::MetricFilter"
               and r["Properties"]["MetricTransformations"][0]["MetricNamespace"] == "SEM/PersonalData"}
    alarms = {r["Properties"]["MetricName"]: r["Properties"] for r in resources.values()
              if r.get("Type") == "AWS::CloudWatch::Alarm" and r["Properties"].get("Namespace") == "SEM/PersonalData"}
    assert {f["MetricTransformations"][0]["MetricName"] for f in filters.values()} == set(alarms) == {
        "AdminAccessDenied", "PersonalDataExports"}
    for properties in filters.values():
        assert properties["LogGroupName"] == {"Ref": "ApiLogGroup"}
        for route in re.findall(r'\$\.route = "([^"]+)"', properties["FilterPattern"]):
            if not route.endswith("*"):
                assert route in app.routes, route
    for alarm in alarms.values():
        assert alarm["AlarmActions"] == [{"Ref": "PrivacyAlarmsTopic"}]
        assert alarm["TreatMissingData"] == "notBreaching"
    assert resources["PrivacyAlarmsTopic"]["Type"] == "AWS::SNS::Topic"


def test_the_local_stack_leaves_the_alarms_out():
    assert not [n for n in local_template()["Resources"] if "Privacy" in n or "PersonalData" in n]
