// Components that re-render only when a prop changed (shallow, by identity): the live page
// publishes a new run state every frame, and most of it is the same objects as the last one.
import { Component, type ComponentChildren } from "preact";

export function pure<P extends object>(render: (props: P) => ComponentChildren): (props: P) => ComponentChildren {
  class Pure extends Component<P> {
    shouldComponentUpdate(next: P): boolean {
      return !isShallowEqual(this.props, next);
    }
    render(props: P): ComponentChildren {
      return render(props);
    }
  }
  (Pure as unknown as { displayName: string }).displayName = render.name;
  return Pure as unknown as (props: P) => ComponentChildren;
}

function isShallowEqual(a: object, b: object): boolean {
  const ka = Object.keys(a) as (keyof typeof a)[];
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => k === "children" ? a[k] === b[k] : Object.is(a[k], b[k]));
}
