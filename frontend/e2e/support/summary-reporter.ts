// Ends the output with one line: "N passed, N failed" (and skipped or flaky when any),
// after the list reporter's details.
import type { FullResult, Reporter, TestCase, TestResult } from "@playwright/test/reporter";

export default class SummaryReporter implements Reporter {
  private readonly outcomes = new Map<string, ReturnType<TestCase["outcome"]>>();

  onTestEnd(test: TestCase, _result: TestResult): void {
    this.outcomes.set(test.id, test.outcome());
  }

  onEnd(result: FullResult): void {
    const count = (o: string) => [...this.outcomes.values()].filter((x) => x === o).length;
    const passed = count("expected");
    const failed = count("unexpected");
    const flaky = count("flaky");
    const skipped = count("skipped");
    const extra = [flaky ? `${flaky} flaky` : "", skipped ? `${skipped} skipped` : ""].filter(Boolean);
    const status = result.status === "passed" ? "" : ` (run ${result.status})`;
    console.log(`\n${passed} passed, ${failed} failed${extra.length ? `, ${extra.join(", ")}` : ""}${status}`);
  }

  printsToStdio(): boolean {
    return true;
  }
}
