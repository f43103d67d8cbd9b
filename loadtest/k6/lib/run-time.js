// Time left in a k6 run, so that every iteration (one viewing session, one tracker connection, one player's
// reports) ends by itself when the run's stages do: k6 then stops on time, without its graceful-stop wait,
// and reports whole iterations. Written in the JavaScript k6 v0.48 accepts (ES2017 plus modules).
import { sleep } from 'k6';
import exec from 'k6/execution';

const UNITS = { ms: 0.001, s: 1, m: 60, h: 3600 };

/** Seconds in a k6 duration string: "90s", "5m", "1m30s", "1h", "500ms". Throws on anything else. */
export function durationSeconds(text) {
  const source = String(text).trim();
  const pattern = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let total = 0;
  let consumed = '';
  let match;
  while ((match = pattern.exec(source)) !== null) {
    total += Number(match[1]) * UNITS[match[2]];
    consumed += match[0];
  }
  if (consumed === '' || consumed !== source) throw new Error(`not a k6 duration: ${JSON.stringify(text)}`);
  return total;
}

/** Seconds until a scenario whose stages last `scenarioSeconds` in all ends; 0 or less once it has. */
export function secondsLeft(scenarioSeconds) {
  return scenarioSeconds - (Date.now() - exec.scenario.startTime) / 1000;
}

/** Sleeps at most `seconds`, and never past the end of the scenario. */
export function boundedSeconds(seconds, scenarioSeconds) {
  return Math.max(0, Math.min(seconds, secondsLeft(scenarioSeconds)));
}

/**
 * For an iteration that starts too close to the end to do anything: sleeps past the end, so k6 stops the VU
 * during the sleep instead of starting empty iterations in a tight loop.
 */
export function idleUntilEnd(scenarioSeconds) {
  sleep(Math.max(0, secondsLeft(scenarioSeconds)) + 0.5);
}
