"""report.html as a person sees it, in headless Chromium.

Opens the report of a failing run (file://, no server), and checks that:
- the page loads with no console error and no failed request (it is self-contained);
- the verdict banner says FAILED;
- "only failures" leaves exactly the failed and broken trials of report.json visible;
- the outcome, API and text filters narrow the list as they say;
- a trial's exchanges are collapsed until opened.
Writes a screenshot next to the report. Exit 0 only if every check holds.

    python check_report.py REPORT_DIR
"""

import json
import pathlib
import sys

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def visible_trials(driver):
    return [
        e.get_attribute("data-name")
        for e in driver.find_elements(By.CSS_SELECTOR, "details.trial")
        if e.is_displayed()
    ]


def main(report_dir: pathlib.Path) -> int:
    report = json.loads((report_dir / "report.json").read_text())
    failing = sorted(
        t["name"] for t in report["trials"] if t["outcome"] in ("failed", "error")
    )
    if not failing:
        print("the report has no failed trial; run with a fault first")
        return 1
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--window-size=1400,2000",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    problems = []
    try:
        driver.get((report_dir / "report.html").resolve().as_uri())
        banner = driver.find_element(By.CSS_SELECTOR, "header h1").text
        if not banner.startswith("FAILED"):
            problems.append(f"the banner says {banner!r}")
        total = len(report["trials"])
        if len(visible_trials(driver)) != total:
            problems.append("not every trial is shown before any filter")

        driver.find_element(By.ID, "only-failures").click()
        shown = sorted(visible_trials(driver))
        if shown != failing:
            problems.append(
                f"only failures shows {len(shown)} trial(s) (first: {shown[:3]}), "
                f"report.json fails {len(failing)}: {failing}"
            )
        counter = driver.find_element(By.ID, "shown").text
        if counter != f"{len(failing)} of {total} trials shown":
            problems.append(f"the counter says {counter!r}")

        # Back to every outcome, then one API, then text on top.
        for box in driver.find_elements(By.CSS_SELECTOR, "input.f-outcome"):
            if not box.is_selected():
                box.click()
        api = report["trials"][0]["api"]
        driver.execute_script(
            "var s = document.getElementById('f-api'); s.value = arguments[0];"
            "s.dispatchEvent(new Event('change'));",
            api,
        )
        expected = sorted(t["name"] for t in report["trials"] if t["api"] == api)
        if sorted(visible_trials(driver)) != expected:
            problems.append(f"the API filter {api!r} does not show exactly its trials")
        driver.find_element(By.ID, "f-text").send_keys(failing[0].split("::")[1])
        if failing[0] not in visible_trials(driver) or len(visible_trials(driver)) >= len(
            expected
        ):
            problems.append("the text filter does not narrow the list to the matching trial")

        first = driver.find_element(By.CSS_SELECTOR, "details.trial.failed")
        exchange = first.find_element(By.CSS_SELECTOR, "details.x")
        if exchange.get_attribute("open") is not None:
            problems.append("an exchange is open before it is clicked")
        pairs = first.find_elements(By.CSS_SELECTOR, ".pair")
        if not pairs:
            problems.append("the failed trial shows no expected/actual pair")

        for entry in driver.get_log("browser"):
            if entry.get("level") in ("SEVERE", "ERROR"):
                problems.append(f"console: {entry.get('message')}")
        # The picture a reader gets: only the failures, the first one open.
        driver.find_element(By.ID, "f-text").clear()
        driver.execute_script(
            "var s = document.getElementById('f-api'); s.value = '';"
            "s.dispatchEvent(new Event('change'));"
            "document.getElementById('f-text').dispatchEvent(new Event('input'));"
        )
        driver.find_element(By.ID, "only-failures").click()
        first.find_element(By.CSS_SELECTOR, "summary").click()
        driver.execute_script("window.scrollTo(0, 0)")
        driver.save_screenshot(str(report_dir / "report.png"))
    finally:
        driver.quit()
    for p in problems:
        print(f"FAILED: {p}")
    if not problems:
        print(
            f"report.html: no console error, 'only failures' shows the {len(failing)} failing "
            f"trial(s), the filters narrow as they say; screenshot {report_dir / 'report.png'}"
        )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(pathlib.Path(sys.argv[1])))
