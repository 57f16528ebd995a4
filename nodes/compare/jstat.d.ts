// The part of jstat (no published types) that `compare` uses.
declare module 'jstat' {
  interface ContinuousDistribution {
    cdf(x: number, ...params: number[]): number;
    pdf(x: number, ...params: number[]): number;
    inv(p: number, ...params: number[]): number;
  }
  interface JStatStatic {
    studentt: ContinuousDistribution;
    normal: ContinuousDistribution;
    erf(x: number): number;
    erfc(x: number): number;
    ibeta(x: number, a: number, b: number): number;
  }
  const jStat: JStatStatic;
  export default jStat;
}
