// An anchor that navigates client-side (plain clicks only; modified clicks open as usual).
import type { ComponentChildren } from "preact";
import { navigate } from "../route";

interface Props {
  href: string;
  children: ComponentChildren;
  [attr: string]: unknown;
}

export function Link({ href, children, ...rest }: Props) {
  const onClick = (ev: MouseEvent) => {
    if (ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
    ev.preventDefault();
    navigate(href);
  };
  return (
    <a href={href} onClick={onClick} {...rest}>
      {children}
    </a>
  );
}
