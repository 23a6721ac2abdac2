/** `<repository>:<tag>` with line-break opportunities after each `/` and before the `:`. */
import { Fragment } from 'react';

/** The image's name, wrapping at its natural joints on narrow screens. */
export function ImageName({ repository, tag }: { repository: string; tag: string }) {
  const parts = repository.split('/');
  return (
    <>
      {parts.map((part, i) => (
        <Fragment key={i}>
          {part}
          {i < parts.length - 1 ? (
            <>
              /<wbr />
            </>
          ) : null}
        </Fragment>
      ))}
      <wbr />:{tag}
    </>
  );
}
