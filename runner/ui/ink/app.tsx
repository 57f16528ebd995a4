// The Ink view: segments from frame.ts mapped to <Text>, plus the keys that cancel.
// Everything about what to show lives in frame.ts; this file only knows Ink.

import { Box, Text, useInput, useStdin } from 'ink';
import type { Line } from '../frame.js';

export function FrameView({ lines }: { lines: Line[] }) {
  return (
    <Box flexDirection="column">
      {lines.map((line, i) => (
        <Text key={i} wrap="truncate-end">
          {line.length === 0
            ? ' '
            : line.map((s, j) => (
                <Text key={j} color={s.color} bold={s.bold} dimColor={s.dim}>
                  {s.text}
                </Text>
              ))}
        </Text>
      ))}
    </Box>
  );
}

export interface LiveAppProps {
  /** the frame, from `buildFrame` */
  lines: Line[];
  /** take keys (raw mode) while the run lives; a finished run gives the terminal back */
  listening: boolean;
  /** `q` or Ctrl-C; every press calls it (the runner decides what a second one means) */
  onCancel: () => void;
}

export function LiveApp({ lines, listening, onCancel }: LiveAppProps) {
  const { isRawModeSupported } = useStdin();
  useInput(
    (input, key) => {
      if (input === 'q' || (key.ctrl && input === 'c')) onCancel();
    },
    { isActive: Boolean(isRawModeSupported && listening) },
  );
  return <FrameView lines={lines} />;
}
