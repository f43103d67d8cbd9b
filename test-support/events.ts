type EventMap<Events> = { [K in keyof Events]: (...args: never[]) => void };

/** What `once` needs of an emitter: typed `on` and `off`, as the SDK's typed emitters have them. */
export interface TypedEventSource<Events extends EventMap<Events>> {
  on<K extends keyof Events>(event: K, listener: Events[K]): unknown;
  off<K extends keyof Events>(event: K, listener: Events[K]): unknown;
}

/**
 * `once` for emitters of one event map: `const once = onceOf<TrackerClientEvents>()`, then
 * `await once(client, 'update')` is the next emission of `update`, with its arguments. (The map is given
 * once, because TypeScript cannot infer it from an emitter's generic `on`.)
 */
export function onceOf<Events extends EventMap<Events>>() {
  return <K extends keyof Events>(source: TypedEventSource<Events>, event: K): Promise<Parameters<Events[K]>> =>
    new Promise((resolve) => {
      const listener = ((...args: Parameters<Events[K]>) => {
        source.off(event, listener);
        resolve(args);
      }) as Events[K];
      source.on(event, listener);
    });
}
