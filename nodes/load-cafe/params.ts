// The params of `load-cafe` as the node's code sees them (the schema with
// defaults and descriptions is in ../load-cafe.ts).

export type Source = 'synthetic' | 'directory' | 'manifest';

/** Header names for the spreadsheet or manifest columns, overriding detection. */
export interface ColumnMapping {
  file?: string;
  subject?: string;
  id?: string;
  expression?: string;
  mouth?: string;
  sex?: string;
  age?: string;
  ethnicity?: string;
  anger?: string;
  disgust?: string;
  fear?: string;
  happy?: string;
  neutral?: string;
  sad?: string;
  surprise?: string;
}

export interface LoadCafeParams {
  source: Source;
  seed: number;
  size: number;
  channels: 1 | 3;
  test_fraction: number;
  raters: number;
  strict: boolean;
  // synthetic
  children: number;
  ambiguous_share: number;
  blend_concentration: number;
  pose_jitter: number;
  lighting: number;
  sensor_noise: number;
  // directory / manifest
  images: string | null;
  ratings: string | null;
  manifest: string | null;
  columns: ColumnMapping;
  fit: 'cover' | 'contain' | 'fill';
}
