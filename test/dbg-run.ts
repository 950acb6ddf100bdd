import { testDevice } from './gpu.ts';
import { Program } from '../src/gpu/program.ts';
import { addBias, matmul } from '../src/reference/matmul.ts';
import { mulberry32 } from '../src/reference/random.ts';
import { randF32, read, runProgram, tensorOf, tolErr, TOL } from './gpu-helpers.ts';
const device = await testDevice();
for (const kind of ['nn','tn','nt'] as const) for (const [M,N,K,offA,offB,offC] of [[37,29,13,5,3,7],[70,130,65,13,17,19]]) {
  const rand = mulberry32(1);
  const transA = kind === 'tn', transB = kind === 'nt';
  const a = randF32(offA + M * K + 3, rand);
  const b = randF32(offB + K * N + 2, rand);
  const bias = randF32(N, rand);
  const c0 = randF32(offC + M * N + 6, rand, -2, 2);
  const p = new Program(device, `matmul_${kind}`);
  const A = tensorOf(p, a, 'A'), Bt = tensorOf(p, b, 'B'), bt = tensorOf(p, bias, 'bias'), C = tensorOf(p, c0, 'C');
  p.dispatch(`matmul_${kind}`, { M, N, K, offA, offB, offC, accumulate: 1, hasBias: 1 }, { A, B: Bt, bias: bt, C }, [Math.ceil(N / 32), Math.ceil(M / 32)]);
  console.log(kind, M, 'compile');
  await runProgram(p);
  console.log(kind, M, 'ran');
  const got = await read(device, C);
  const want = matmul(a.subarray(offA), b.subarray(offB), M, K, N, transA, transB);
  addBias(want, bias, M, N);
  for (let i = 0; i < M * N; i++) want[i] += c0[offC + i]!;
  console.log(kind, M, tolErr(got.subarray(offC, offC+M*N), want, TOL.kernel));
}
