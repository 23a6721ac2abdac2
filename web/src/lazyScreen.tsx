/**
 * Screens in chunks of their own that can be loaded before they are rendered. `React.lazy` alone
 * suspends on a screen's first render even when its chunk is already here (the import's promise
 * has not settled yet at that moment): a frame of the loading state, then a second render. A
 * screen whose chunk `preload` has fetched renders at once.
 */
import { lazy, Suspense, useState, type ComponentType } from 'react';
import { Loading } from './components/Loading';

/** A screen component, and how to load its chunk ahead of its first render. */
export type LazyScreen = ComponentType & { preload(): Promise<void> };

export function lazyScreen(load: () => Promise<{ default: ComponentType }>): LazyScreen {
  let loaded: ComponentType | undefined;
  let loading: Promise<void> | undefined;
  const preload = () =>
    (loading ??= load().then(
      (module) => {
        loaded = module.default;
      },
      (err: unknown) => {
        // Not kept: a prefetch that failed (a network error) leaves the first render to ask again.
        loading = undefined;
        throw err;
      },
    ));
  const Lazy = lazy(async () => {
    await preload();
    return { default: loaded as ComponentType };
  });
  function Screen() {
    // Chosen once per mount: switching from Lazy to the loaded screen would mount it again.
    const [Component] = useState<ComponentType>(() => loaded ?? Lazy);
    return (
      <Suspense fallback={<Loading />}>
        <Component />
      </Suspense>
    );
  }
  return Object.assign(Screen, { preload });
}
